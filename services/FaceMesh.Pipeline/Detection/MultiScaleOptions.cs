namespace FaceMesh.Pipeline.Detection;

public sealed record MultiScaleOptions
{
    /// <summary>Pyramid levels below the whole-image pass; each halves the tile scale.</summary>
    public int Levels { get; init; } = 2;

    /// <summary>Smallest tile scale (image pixels per detector pixel); below 1 the tiles are enlarged.</summary>
    public double MinScale { get; init; } = 0.75;

    /// <summary>Largest face a tile reports, as a fraction of its shorter side; larger faces are left to coarser levels.</summary>
    public double MaxFaceFraction { get; init; } = 0.4;

    /// <summary>Fraction of a tile shared with its neighbour.</summary>
    public double Overlap { get; init; } = 0.45;
}
