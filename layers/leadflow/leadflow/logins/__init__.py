"""Logins: the people who may sign in to the leads API and the console, as users of the
stack's Cognito user pool. An admin invites a person (Cognito emails them a temporary
password), binds them to a manager (`custom:manager_id`: whose leads they see) and
makes them an admin (the `admins` group) or not.

A part of its own, beside the others, because logins are not in the table: the pool
holds them (`pool`, the only module that calls Cognito), `service` says what an admin
may do with them. `leadflow.shared.access` is the other side: it reads who is calling
from a request's claims; this part writes who may call."""
