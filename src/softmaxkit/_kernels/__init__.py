"""softmaxkit's native kernels (private): C code, see softmax.h and kernels.inc."""
