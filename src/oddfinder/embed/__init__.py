"""embed stage of the oddfinder pipeline."""
