/*
 * method.h — the solving methods: their names and the accumulator kernel
 * each needs (internal). The frame creates its accumulator with the kernel
 * and the solver checks it, so both depend on this small module rather than
 * on each other.
 */
#ifndef LR_METHOD_H
#define LR_METHOD_H

#include "internal.h"

/* Which accumulator kernel a method needs: the triangular factor (auto, qr,
 * svd), the cross products by BLAS (inverse, cholesky) or by plain loops
 * (naive). */
lr_kernel lr_method_kernel(lr_method m);

#endif
