"""Progression service: judges every rep, summarises sets, recommends the next weight."""
