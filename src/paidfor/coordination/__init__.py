"""Content coordination: the coordination-network-toolkit's edges between accounts that post
the same link, share or reply to the same post, or post the same or similar text within a
few seconds (``edges``), and reading posts and writing edges as files (``files``). It reads
no database: ``paidfor coordination edges`` runs it on CSV files (docs/coordination.md)."""
