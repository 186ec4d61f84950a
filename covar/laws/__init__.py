"""Laws: the Density and JointDensity records and the catalog of named families."""
