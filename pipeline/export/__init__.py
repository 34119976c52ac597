"""Writers: Document → DOCX, PDF and the other output files."""
