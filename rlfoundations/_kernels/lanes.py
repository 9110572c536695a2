"""Eight float64 lanes as one LLVM vector: the few operations the Bellman sweeps need.

LLVM does not vectorise a sweep by itself: its cost model for AMD CPUs rejects gathers, and
the per-state loops are too short. These intrinsics let a kernel write the backup of eight
states at once, one line per operation:

    total = mul(load(continue_prob, slot), gather(values, successor, slot))

which compiles to one vector load, one ``vgatherdpd`` and one ``vmulpd`` under AVX-512 (and to
the same operations split or scalarised elsewhere: the generic ``llvm.masked.gather`` is
portable). Every lane does exactly the scalar arithmetic (IEEE multiply and add, no fused
multiply-add, no reassociation), so lane results equal the scalar ones to the bit.

Every operation also has a plain-NumPy equivalent (``numpy_load``, ``numpy_gather``, ...)
doing the same IEEE arithmetic on arrays of eight float64: with ``NUMBA_DISABLE_JIT=1`` the
public names are those, so the planning kernels run, and are covered, as plain Python.

Numba's on-disk cache is keyed on a digest of every kernel module (see :mod:`._cache`), so
an edit here recompiles every kernel that uses these operations.
"""

from __future__ import annotations

import inspect

import llvmlite.binding
import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import models, register_model

from rlfoundations._kernels._jit import lane_intrinsic, plain_python

__all__ = [
    "LANES",
    "add",
    "gather",
    "largest",
    "load",
    "mul",
    "smallest",
    "splat",
    "store",
    "sub",
    "where_greater",
]

#: Lanes per vector: eight float64 fill one 512-bit register. The one definition: the
#: kernels' block layout (:mod:`.layout`) and every kernel read it from here.
LANES = 8

#: Whether this llvmlite can type a vector GEP from a common base (``IRBuilder.gep`` takes
#: ``source_etype``): then a gather is one ``vgatherdpd`` with int32 indices. Without it,
#: gathers add byte offsets to the base address instead (``vgatherqpd``, 5-12% slower here).
TYPED_VECTOR_GEP = "source_etype" in inspect.signature(ir.IRBuilder.gep).parameters

_DOUBLE = ir.DoubleType()
_INT32 = ir.IntType(32)
_VECTOR = ir.VectorType(_DOUBLE, LANES)
_INDEX_VECTOR = ir.VectorType(_INT32, LANES)
# Typed-pointer LLVM (before 15) mangles the pointee into the intrinsic's name.
_GATHER = "llvm.masked.gather.v8f64." + (
    "v8p0" if llvmlite.binding.llvm_version_info[0] >= 15 else "v8p0f64"
)


class Lanes(types.Type):
    """Numba type of eight float64 lanes, held in registers (never stored in arrays)."""

    def __init__(self) -> None:
        super().__init__(name="Lanes")


lanes = Lanes()


@register_model(Lanes)
class _LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type) -> None:
        super().__init__(dmm, fe_type, _VECTOR)


@plain_python
def _address(context, builder, array_type, array, offset, element):
    """Pointer to ``array[offset]`` (a flat C-contiguous array), as a pointer to ``element``."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [offset], inbounds=True), element.as_pointer())


@lane_intrinsic
def _load(typingctx, array, offset):
    """``array[offset : offset + 8]`` of a flat float64 array."""

    def codegen(context, builder, signature, args):
        address = _address(context, builder, signature.args[0], *args, _VECTOR)
        return builder.load(address, align=8)

    return lanes(array, offset), codegen


@lane_intrinsic
def _store(typingctx, array, offset, value):
    """``array[offset : offset + 8] = value`` for a flat float64 array."""

    def codegen(context, builder, signature, args):
        address = _address(context, builder, signature.args[0], args[0], args[1], _VECTOR)
        builder.store(args[2], address, align=8)
        return context.get_dummy_value()

    return types.none(array, offset, value), codegen


@plain_python
def _lane_pointers(builder, data, indices):
    """The vector of pointers ``data + indices`` (eight int32 indices into float64s)."""
    if TYPED_VECTOR_GEP:
        # One GEP from a common base: LLVM lowers the gather to vgatherdpd (int32 indices).
        pointers = builder.gep(data, [indices], inbounds=True, source_etype=_DOUBLE)
        pointers.type = ir.VectorType(data.type, LANES)
        return pointers
    # Byte offsets added to the address (vgatherqpd, 64-bit addresses).
    address = ir.VectorType(ir.IntType(64), LANES)
    base = builder.insert_element(
        ir.Constant(address, ir.Undefined), builder.ptrtoint(data, address.element), _INT32(0)
    )
    base = builder.shuffle_vector(
        base, ir.Constant(address, ir.Undefined), ir.Constant(_INDEX_VECTOR, [0] * LANES)
    )
    offsets = builder.shl(builder.sext(indices, address), ir.Constant(address, [3] * LANES))
    return builder.inttoptr(builder.add(base, offsets), ir.VectorType(data.type, LANES))


@lane_intrinsic
def _gather(typingctx, values, index, offset):
    """``values[index[offset : offset + 8]]``: int32 indices, all in range (not checked)."""

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        indices = builder.load(
            _address(context, builder, signature.args[1], args[1], args[2], _INDEX_VECTOR),
            align=4,
        )
        pointers = _lane_pointers(builder, data, indices)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(
                _VECTOR,
                [pointers.type, _INT32, ir.VectorType(ir.IntType(1), LANES), _VECTOR],
            ),
            _GATHER,
        )
        every_lane = ir.Constant(ir.VectorType(ir.IntType(1), LANES), [1] * LANES)
        return builder.call(
            function, [pointers, _INT32(8), every_lane, ir.Constant(_VECTOR, ir.Undefined)]
        )

    return lanes(values, index, offset), codegen


@lane_intrinsic
def _splat(typingctx, value):
    """Eight copies of a float64."""

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.float64)
        first = builder.insert_element(ir.Constant(_VECTOR, ir.Undefined), value, _INT32(0))
        return builder.shuffle_vector(
            first, ir.Constant(_VECTOR, ir.Undefined), ir.Constant(_INDEX_VECTOR, [0] * LANES)
        )

    return lanes(value), codegen


@plain_python
def _binary(operation: str, doc: str):
    @lane_intrinsic
    def binary(typingctx, x, y):
        def codegen(context, builder, signature, args):
            return getattr(builder, operation)(*args)

        return lanes(x, y), codegen

    binary.__doc__ = doc
    return binary


_add = _binary("fadd", "Lane-wise ``x + y``.")
_sub = _binary("fsub", "Lane-wise ``x - y``.")
_mul = _binary("fmul", "Lane-wise ``x * y``.")


@lane_intrinsic
def _where_greater(typingctx, x, y, if_greater, otherwise):
    """Lane-wise ``if_greater if x > y else otherwise`` (a strict, ordered comparison)."""

    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", args[0], args[1]), args[2], args[3])

    return lanes(x, y, if_greater, otherwise), codegen


@plain_python
def _reduction(predicate: str, doc: str):
    @lane_intrinsic
    def reduction(typingctx, x):
        def codegen(context, builder, signature, args):
            result = builder.extract_element(args[0], _INT32(0))
            for lane in range(1, LANES):
                value = builder.extract_element(args[0], _INT32(lane))
                result = builder.select(
                    builder.fcmp_ordered(predicate, value, result), value, result
                )
            return result

        return types.float64(x), codegen

    reduction.__doc__ = doc
    return reduction


_smallest = _reduction("<", "The smallest of the eight lanes.")
_largest = _reduction(">", "The largest of the eight lanes.")


# -- the same operations in plain NumPy ----------------------------------------------------------
@plain_python
def numpy_load(array, offset):
    """``array[offset : offset + 8]`` as a new array."""
    return array[offset : offset + LANES].copy()


@plain_python
def numpy_store(array, offset, value) -> None:
    """``array[offset : offset + 8] = value``."""
    array[offset : offset + LANES] = value


@plain_python
def numpy_gather(values, index, offset):
    """``values[index[offset : offset + 8]]``."""
    return values[index[offset : offset + LANES]]


@plain_python
def numpy_splat(value):
    """Eight copies of ``value`` as float64."""
    return np.full(LANES, value, dtype=np.float64)


@plain_python
def numpy_add(x, y):
    """Lane-wise ``x + y``."""
    return x + y


@plain_python
def numpy_sub(x, y):
    """Lane-wise ``x - y``."""
    return x - y


@plain_python
def numpy_mul(x, y):
    """Lane-wise ``x * y``."""
    return x * y


@plain_python
def numpy_where_greater(x, y, if_greater, otherwise):
    """Lane-wise ``if_greater if x > y else otherwise`` (ordered: NaN is never greater)."""
    return np.where(x > y, if_greater, otherwise)


@plain_python
def numpy_smallest(x) -> float:
    """The smallest lane, chosen as the intrinsic does (lane by lane, strict ``<``)."""
    result = x[0]
    for lane in range(1, LANES):
        result = x[lane] if x[lane] < result else result
    return float(result)


@plain_python
def numpy_largest(x) -> float:
    """The largest lane, chosen as the intrinsic does (lane by lane, strict ``>``)."""
    result = x[0]
    for lane in range(1, LANES):
        result = x[lane] if x[lane] > result else result
    return float(result)


if numba.config.DISABLE_JIT:
    load, store, gather, splat = numpy_load, numpy_store, numpy_gather, numpy_splat
    add, sub, mul = numpy_add, numpy_sub, numpy_mul
    where_greater, smallest, largest = numpy_where_greater, numpy_smallest, numpy_largest
else:
    load, store, gather, splat = _load, _store, _gather, _splat
    add, sub, mul = _add, _sub, _mul
    where_greater, smallest, largest = _where_greater, _smallest, _largest
