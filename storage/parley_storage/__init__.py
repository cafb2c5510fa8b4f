"""Plumbing shared by store adapters, never a store itself: `sqlite` opens databases,
`mongo` allocates ids, `cassandra` runs CQL from asyncio."""
