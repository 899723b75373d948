"""evaluate stage of the oddfinder pipeline."""
