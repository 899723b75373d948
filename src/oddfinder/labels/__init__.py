"""labels stage of the oddfinder pipeline."""
