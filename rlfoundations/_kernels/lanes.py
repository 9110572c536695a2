"""Eight float64 lanes as one LLVM vector: the few operations the Bellman sweeps need.

LLVM does not vectorise a sweep by itself: its cost model for AMD CPUs rejects gathers, and
the per-state loops are too short. These intrinsics let a kernel write the backup of eight
states at once, one line per operation:

    total = mul(load(continue_prob, slot), gather(values, successor, slot))

which compiles to one vector load, one ``vgatherdpd`` and one ``vmulpd`` under AVX-512 (and to
the same operations split or scalarised elsewhere: the generic ``llvm.masked.gather`` is
portable). Every lane does exactly the scalar arithmetic (IEEE multiply and add, no fused
multiply-add, no reassociation), so lane results equal the scalar ones to the bit.

Numba's on-disk cache is keyed on the calling kernel's source file: after editing this
module, delete the cached ``*.nbi``/``*.nbc`` files in ``_kernels/__pycache__``.
"""

from __future__ import annotations

import llvmlite.binding
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic, models, register_model

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

#: Lanes per vector: eight float64 fill one 512-bit register.
LANES = 8

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


def _address(context, builder, array_type, array, offset, element):
    """Pointer to ``array[offset]`` (a flat C-contiguous array), as a pointer to ``element``."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [offset], inbounds=True), element.as_pointer())


@intrinsic
def load(typingctx, array, offset):
    """``array[offset : offset + 8]`` of a flat float64 array."""

    def codegen(context, builder, signature, args):
        address = _address(context, builder, signature.args[0], *args, _VECTOR)
        return builder.load(address, align=8)

    return lanes(array, offset), codegen


@intrinsic
def store(typingctx, array, offset, value):
    """``array[offset : offset + 8] = value`` for a flat float64 array."""

    def codegen(context, builder, signature, args):
        address = _address(context, builder, signature.args[0], args[0], args[1], _VECTOR)
        builder.store(args[2], address, align=8)
        return context.get_dummy_value()

    return types.none(array, offset, value), codegen


def _lane_pointers(builder, data, indices):
    """The vector of pointers ``data + indices`` (eight int32 indices into float64s)."""
    try:
        # One GEP from a common base: LLVM lowers the gather to vgatherdpd (int32 indices).
        pointers = builder.gep(data, [indices], inbounds=True, source_etype=_DOUBLE)
    except TypeError:
        # An llvmlite without source_etype cannot type a vector GEP: add byte offsets to the
        # address instead (vgatherqpd, 64-bit addresses; 5-12% slower here).
        address = ir.VectorType(ir.IntType(64), LANES)
        base = builder.insert_element(
            ir.Constant(address, ir.Undefined), builder.ptrtoint(data, address.element), _INT32(0)
        )
        base = builder.shuffle_vector(
            base, ir.Constant(address, ir.Undefined), ir.Constant(_INDEX_VECTOR, [0] * LANES)
        )
        offsets = builder.shl(builder.sext(indices, address), ir.Constant(address, [3] * LANES))
        return builder.inttoptr(builder.add(base, offsets), ir.VectorType(data.type, LANES))
    pointers.type = ir.VectorType(data.type, LANES)
    return pointers


@intrinsic
def gather(typingctx, values, index, offset):
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


@intrinsic
def splat(typingctx, value):
    """Eight copies of a float64."""

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.float64)
        first = builder.insert_element(ir.Constant(_VECTOR, ir.Undefined), value, _INT32(0))
        return builder.shuffle_vector(
            first, ir.Constant(_VECTOR, ir.Undefined), ir.Constant(_INDEX_VECTOR, [0] * LANES)
        )

    return lanes(value), codegen


def _binary(operation: str, doc: str):
    @intrinsic
    def binary(typingctx, x, y):
        def codegen(context, builder, signature, args):
            return getattr(builder, operation)(*args)

        return lanes(x, y), codegen

    binary.__doc__ = doc
    return binary


add = _binary("fadd", "Lane-wise ``x + y``.")
sub = _binary("fsub", "Lane-wise ``x - y``.")
mul = _binary("fmul", "Lane-wise ``x * y``.")


@intrinsic
def where_greater(typingctx, x, y, if_greater, otherwise):
    """Lane-wise ``if_greater if x > y else otherwise`` (a strict, ordered comparison)."""

    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", args[0], args[1]), args[2], args[3])

    return lanes(x, y, if_greater, otherwise), codegen


def _reduction(predicate: str, doc: str):
    @intrinsic
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


smallest = _reduction("<", "The smallest of the eight lanes.")
largest = _reduction(">", "The largest of the eight lanes.")
