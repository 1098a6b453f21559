"""Moving an eFiction 3.x archive into Fanfold: reading its database or dump, mapping, and
answering its old URLs."""
