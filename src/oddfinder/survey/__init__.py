"""survey stage of the oddfinder pipeline."""
