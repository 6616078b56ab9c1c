"""`revloop demo`: the whole loop on the local sandbox, its demo data set and its config writer."""
