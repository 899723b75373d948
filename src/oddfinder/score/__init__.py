"""score stage of the oddfinder pipeline."""
