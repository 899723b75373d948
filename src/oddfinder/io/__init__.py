"""io stage of the oddfinder pipeline."""
