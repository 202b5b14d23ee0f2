package dev.cordon.capabilities;

/** Whether a mounted tree may be changed by the guest. */
public enum Access {
    READ_ONLY, READ_WRITE
}
