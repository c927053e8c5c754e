"""Conversation history: the Conversations page's listing, one conversation's record, full-text
search over shoppers, vehicles and transcripts, and the indexer that keeps the search documents.

A service of the same layer as ``chats``, ``leads`` and ``reports`` (it imports none of them):
it reads what they stored. docs/history.md describes the page, the search and the seed.
"""
