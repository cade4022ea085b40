"""Jobs: the database row is the truth for status; the queue only carries job ids."""
