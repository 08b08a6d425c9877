using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMesh.Matching.Embedded;

/// <summary>
/// The products of a group of <see cref="Queries"/> queries with a chunk of rows, as a small matrix product: three
/// rows at a time are held against the four queries in twelve accumulators, so each load of a row's values serves
/// four products and each load of a query's three (the way BLAS kernels block a matrix product in registers).
/// Results are laid out query by query: <c>result[g * rows + r]</c>. Compiled fully optimised at once: a kernel left
/// at the JIT's first tier (while other code keeps being compiled) runs its vector calls unexpanded, many times slower.
/// </summary>
internal static class BlockedDots
{
    public const int Queries = 4;
    private const int Rows = 3;

    /// <summary>Float dot products; <paramref name="dimension"/> a multiple of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Floats(IReadOnlyList<float[]> queries, int first, ReadOnlySpan<float> rows, int dimension, Span<float> result)
    {
        int count = rows.Length / dimension, r = 0;
        ref float q0 = ref MemoryMarshal.GetArrayDataReference(queries[first]);
        ref float q1 = ref MemoryMarshal.GetArrayDataReference(queries[first + 1]);
        ref float q2 = ref MemoryMarshal.GetArrayDataReference(queries[first + 2]);
        ref float q3 = ref MemoryMarshal.GetArrayDataReference(queries[first + 3]);
        ref float p = ref MemoryMarshal.GetReference(rows);
        for (; r + Rows <= count; r += Rows)
        {
            ref float x = ref Unsafe.Add(ref p, r * dimension);
            Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
            for (int i = 0; i < dimension; i += Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref x, (nuint)i);
                var x1 = Vector256.LoadUnsafe(ref x, (nuint)(dimension + i));
                var x2 = Vector256.LoadUnsafe(ref x, (nuint)(2 * dimension + i));
                var v = Vector256.LoadUnsafe(ref q0, (nuint)i);
                a00 = Vector256.FusedMultiplyAdd(v, x0, a00);
                a01 = Vector256.FusedMultiplyAdd(v, x1, a01);
                a02 = Vector256.FusedMultiplyAdd(v, x2, a02);
                v = Vector256.LoadUnsafe(ref q1, (nuint)i);
                a10 = Vector256.FusedMultiplyAdd(v, x0, a10);
                a11 = Vector256.FusedMultiplyAdd(v, x1, a11);
                a12 = Vector256.FusedMultiplyAdd(v, x2, a12);
                v = Vector256.LoadUnsafe(ref q2, (nuint)i);
                a20 = Vector256.FusedMultiplyAdd(v, x0, a20);
                a21 = Vector256.FusedMultiplyAdd(v, x1, a21);
                a22 = Vector256.FusedMultiplyAdd(v, x2, a22);
                v = Vector256.LoadUnsafe(ref q3, (nuint)i);
                a30 = Vector256.FusedMultiplyAdd(v, x0, a30);
                a31 = Vector256.FusedMultiplyAdd(v, x1, a31);
                a32 = Vector256.FusedMultiplyAdd(v, x2, a32);
            }
            Store(result, count, r, 0, Vector256.Sum(a00), Vector256.Sum(a01), Vector256.Sum(a02));
            Store(result, count, r, 1, Vector256.Sum(a10), Vector256.Sum(a11), Vector256.Sum(a12));
            Store(result, count, r, 2, Vector256.Sum(a20), Vector256.Sum(a21), Vector256.Sum(a22));
            Store(result, count, r, 3, Vector256.Sum(a30), Vector256.Sum(a31), Vector256.Sum(a32));
        }
        for (; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (int g = 0; g < Queries; g++)
                result[g * count + r] = System.Numerics.Tensors.TensorPrimitives.Dot(queries[first + g].AsSpan(), row);
        }
    }

    /// <summary>Σ u·c per query and row, u the query's bytes shifted by 128 and c the row's int8 codes (AVX-VNNI);
    /// <paramref name="dimension"/> a multiple of 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftedBytes(byte[][] queries, ReadOnlySpan<sbyte> rows, int dimension, Span<int> result)
    {
        int count = rows.Length / dimension, r = 0;
        ref byte q0 = ref MemoryMarshal.GetArrayDataReference(queries[0]);
        ref byte q1 = ref MemoryMarshal.GetArrayDataReference(queries[1]);
        ref byte q2 = ref MemoryMarshal.GetArrayDataReference(queries[2]);
        ref byte q3 = ref MemoryMarshal.GetArrayDataReference(queries[3]);
        ref sbyte p = ref MemoryMarshal.GetReference(rows);
        for (; r + Rows <= count; r += Rows)
        {
            ref sbyte x = ref Unsafe.Add(ref p, r * dimension);
            Vector256<int> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
            Vector256<int> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
            for (int i = 0; i < dimension; i += Vector256<byte>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref x, (nuint)i);
                var x1 = Vector256.LoadUnsafe(ref x, (nuint)(dimension + i));
                var x2 = Vector256.LoadUnsafe(ref x, (nuint)(2 * dimension + i));
                var v = Vector256.LoadUnsafe(ref q0, (nuint)i);
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, v, x0);
                a01 = AvxVnni.MultiplyWideningAndAdd(a01, v, x1);
                a02 = AvxVnni.MultiplyWideningAndAdd(a02, v, x2);
                v = Vector256.LoadUnsafe(ref q1, (nuint)i);
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, v, x0);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, v, x1);
                a12 = AvxVnni.MultiplyWideningAndAdd(a12, v, x2);
                v = Vector256.LoadUnsafe(ref q2, (nuint)i);
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, v, x0);
                a21 = AvxVnni.MultiplyWideningAndAdd(a21, v, x1);
                a22 = AvxVnni.MultiplyWideningAndAdd(a22, v, x2);
                v = Vector256.LoadUnsafe(ref q3, (nuint)i);
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, v, x0);
                a31 = AvxVnni.MultiplyWideningAndAdd(a31, v, x1);
                a32 = AvxVnni.MultiplyWideningAndAdd(a32, v, x2);
            }
            Store(result, count, r, 0, Vector256.Sum(a00), Vector256.Sum(a01), Vector256.Sum(a02));
            Store(result, count, r, 1, Vector256.Sum(a10), Vector256.Sum(a11), Vector256.Sum(a12));
            Store(result, count, r, 2, Vector256.Sum(a20), Vector256.Sum(a21), Vector256.Sum(a22));
            Store(result, count, r, 3, Vector256.Sum(a30), Vector256.Sum(a31), Vector256.Sum(a32));
        }
        for (; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (int g = 0; g < Queries; g++)
            {
                int sum = 0;
                for (int i = 0; i < dimension; i++)
                    sum += queries[g][i] * row[i];
                result[g * count + r] = sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Span<T> result, int count, int r, int g, T a, T b, T c)
    {
        int at = g * count + r;
        result[at] = a;
        result[at + 1] = b;
        result[at + 2] = c;
    }
}
