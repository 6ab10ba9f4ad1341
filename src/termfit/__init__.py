"""termfit: fine-tune bilingual (Korean/English) retrieval models on a terminology glossary."""

__version__ = "0.1.0"
