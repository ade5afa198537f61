# c-string.awk - print each input line as the body of a C string literal,
# "...\n" on a line of its own: backslashes, double quotes and control bytes
# escaped (octal, always three digits, so a following digit cannot extend
# the escape), and "??" broken up so no trigraph can form. Run with
# LC_ALL=C so every byte is one character.
BEGIN {
	for (i = 1; i < 32; i++)
		esc[sprintf("%c", i)] = sprintf("\\%03o", i)
	esc[sprintf("%c", 127)] = "\\177"
	esc["\t"] = "\\t"
	esc["\r"] = "\\r"
	esc["\\"] = "\\\\"
	esc["\""] = "\\\""
}
{
	out = ""
	n = length($0)
	for (i = 1; i <= n; i++) {
		c = substr($0, i, 1)
		if (c in esc)
			out = out esc[c]
		else if (c == "?" && substr($0, i + 1, 1) == "?")
			out = out "?\\"
		else
			out = out c
	}
	printf "\t\"%s\\n\"\n", out
}
