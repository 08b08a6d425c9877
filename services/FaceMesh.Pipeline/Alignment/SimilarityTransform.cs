using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// The least-squares similarity transform (rotation, uniform scale, translation; no reflection)
/// taking one point set onto another: Umeyama, "Least-squares estimation of transformation
/// parameters between two point patterns", IEEE TPAMI 13(4), 1991, in its 2-D closed form.
/// With the map written as <c>[a −b; b a]·p + t</c>, centring both sets gives
/// <c>a = Σ(x·u + y·v) / Σ(x² + y²)</c>, <c>b = Σ(x·v − y·u) / Σ(x² + y²)</c>, and t from the means.
/// </summary>
public static class SimilarityTransform
{
    public static Affine2D Estimate(ReadOnlySpan<Vector2> from, ReadOnlySpan<Vector2> to)
    {
        if (from.Length != to.Length)
            throw new ArgumentException($"Point sets differ in size ({from.Length} and {to.Length}).");
        if (from.Length < 2)
            throw new ArgumentException("A similarity transform needs at least two point pairs.");
        double mx = 0, my = 0, mu = 0, mv = 0;
        for (int i = 0; i < from.Length; i++)
        {
            mx += from[i].X; my += from[i].Y; mu += to[i].X; mv += to[i].Y;
        }
        int n = from.Length;
        mx /= n; my /= n; mu /= n; mv /= n;
        double dot = 0, cross = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double x = from[i].X - mx, y = from[i].Y - my, u = to[i].X - mu, v = to[i].Y - mv;
            dot += x * u + y * v;
            cross += x * v - y * u;
            norm += x * x + y * y;
        }
        if (norm < 1e-12)
            throw new ArgumentException("The source points coincide; no transform is defined.");
        double a = dot / norm, b = cross / norm;
        return new Affine2D(a, -b, mu - (a * mx - b * my), b, a, mv - (b * mx + a * my));
    }
}
