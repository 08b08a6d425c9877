using System.Numerics;

namespace FaceMesh.Imaging;

/// <summary>
/// A 2-D affine map <c>(x, y) → (A·x + B·y + Tx, C·x + D·y + Ty)</c>, the matrix OpenCV calls
/// <c>[[A, B, Tx], [C, D, Ty]]</c>.
/// </summary>
public readonly record struct Affine2D(double A, double B, double Tx, double C, double D, double Ty)
{
    public static Affine2D Identity => new(1, 0, 0, 0, 1, 0);

    public static Affine2D ScaleTranslate(double sx, double sy, double tx, double ty) => new(sx, 0, tx, 0, sy, ty);

    public Vector2 Apply(Vector2 p) => new((float)(A * p.X + B * p.Y + Tx), (float)(C * p.X + D * p.Y + Ty));

    public double Determinant => A * D - B * C;

    public Affine2D Invert()
    {
        double det = Determinant;
        if (Math.Abs(det) < 1e-12)
            throw new InvalidOperationException("The transform is singular and cannot be inverted.");
        double ia = D / det, ib = -B / det, ic = -C / det, id = A / det;
        return new Affine2D(ia, ib, -(ia * Tx + ib * Ty), ic, id, -(ic * Tx + id * Ty));
    }

    /// <summary>This map applied after <paramref name="first"/>.</summary>
    public Affine2D After(Affine2D first) => new(
        A * first.A + B * first.C, A * first.B + B * first.D, A * first.Tx + B * first.Ty + Tx,
        C * first.A + D * first.C, C * first.B + D * first.D, C * first.Tx + D * first.Ty + Ty);
}
