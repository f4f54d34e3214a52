"""Consent registry under UU PDP (Law 27/2022): purposes, legal bases, consent records."""
