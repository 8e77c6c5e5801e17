/*
 * method.c — the solving methods' names (linreg.h) and the accumulator
 * kernel each needs (method.h).
 */
#include "method.h"

lr_kernel lr_method_kernel(lr_method m)
{
    switch (m) {
    case LR_METHOD_NAIVE: return LR_KERNEL_NAIVE;
    case LR_METHOD_INVERSE:
    case LR_METHOD_CHOLESKY: return LR_KERNEL_BLAS;
    default: return LR_KERNEL_QR;
    }
}

const char *lr_method_name(lr_method m)
{
    switch (m) {
    case LR_METHOD_AUTO: return "auto";
    case LR_METHOD_INVERSE: return "inverse";
    case LR_METHOD_CHOLESKY: return "cholesky";
    case LR_METHOD_QR: return "qr";
    case LR_METHOD_SVD: return "svd";
    case LR_METHOD_NAIVE: return "naive";
    default: return "unknown";
    }
}
