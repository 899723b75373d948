"""map stage of the oddfinder pipeline."""
