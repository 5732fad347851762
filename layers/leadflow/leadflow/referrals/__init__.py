"""Referral partners: the lead groups, members, agencies and customers who send us leads,
their links and introductions, the emails that close the loop with them, and what each
one brings (README "Referrals and partners")."""
