using System.Collections.Concurrent;

namespace FaceMesh.Matching;

/// <summary>Every gallery of every tenant held by one Matcher; a gallery is made by its first enrollment.</summary>
public sealed class GalleryCatalog
{
    private readonly ConcurrentDictionary<GalleryKey, GalleryIndex> _galleries = new();

    public GalleryIndex GetOrCreate(GalleryKey key) => _galleries.GetOrAdd(key, k => new GalleryIndex(k));

    /// <summary>The gallery, or <see cref="GalleryNotFoundException"/>.</summary>
    public GalleryIndex Get(GalleryKey key) =>
        _galleries.TryGetValue(key, out var gallery) ? gallery : throw new GalleryNotFoundException(key);

    public IReadOnlyList<GalleryIndex> OfTenant(string tenant) =>
        _galleries.Where(kv => kv.Key.Tenant == tenant).Select(kv => kv.Value).OrderBy(g => g.Key.Gallery, StringComparer.Ordinal).ToArray();
}
