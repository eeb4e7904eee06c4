"""Classification heads (no registered ones yet: ``SLAJointHead`` is built by
``FRSKDSLAClassifier``)."""
