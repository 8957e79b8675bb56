"""The API's route modules, one per area; each ``install``s its endpoints on the app."""
