namespace FaceMesh.Matching;

/// <summary>A gallery: a name unique within its tenant.</summary>
public readonly record struct GalleryKey(string Tenant, string Gallery)
{
    public override string ToString() => $"{Tenant}/{Gallery}";
}
