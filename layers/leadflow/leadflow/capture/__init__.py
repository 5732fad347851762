"""Capture: a landing page's form post becomes a stored submission on its lead.

`service` is the path in order (the form, the origin, the rate, the body, bots, the
person, one transaction); `body` reads the post, `fields` names its fields, `validation`
checks the person, `spam` tells bots apart, `fallback` keeps a post when the table
fails, `http` answers the page, `store` is capture's DynamoDB access."""
