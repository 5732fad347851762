"""The shared kernel: what every part of Leadflow speaks (the domain's nouns, the bus
events, settings, the clock, languages, who is calling) and the AWS clients they share."""
