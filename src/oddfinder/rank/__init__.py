"""rank stage of the oddfinder pipeline."""
