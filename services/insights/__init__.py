"""Anonymous insights: facts per conversation, published counts of at least k conversations
(docs/insights.md)."""
