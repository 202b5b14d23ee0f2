"""The PyPy sandbox backend's private modules: the start-up script, the device bridge to the host,
and a json stand-in for builds without struct. Not part of the guest's API."""
