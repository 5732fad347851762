"""The whole Leadflow pipeline on one machine: moto is the AWS, template.yaml the wiring."""
