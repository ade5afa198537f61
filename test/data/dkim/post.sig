DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.test;
	s=herald; t=1795000000;
	bh=QmnjpVBXt3kdyPP4nXp3uIOu8ZB/TCQnx3/ogt/lxd0=;
	h=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:
	 Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Post:From:
	 List-Unsubscribe:List-Unsubscribe-Post;
	b=
