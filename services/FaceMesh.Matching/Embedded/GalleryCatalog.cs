using System.Collections.Concurrent;

namespace FaceMesh.Matching.Embedded;

/// <summary>Every gallery of every tenant held by one embedded store; a gallery is made by its first enrollment.</summary>
public sealed class GalleryCatalog(bool quantized = false)
{
    private readonly ConcurrentDictionary<GalleryKey, GalleryIndex> _galleries = new();

    /// <summary>Deleted subjects and when: faces enrolled before are not stored again.</summary>
    public Tombstones Tombstones { get; } = new();

    public GalleryIndex GetOrCreate(GalleryKey key) => _galleries.GetOrAdd(key, k => new GalleryIndex(k, quantized));

    /// <summary>The gallery, or <see cref="GalleryNotFoundException"/>.</summary>
    public GalleryIndex Get(GalleryKey key) =>
        _galleries.TryGetValue(key, out var gallery) ? gallery : throw new GalleryNotFoundException(key);

    public GalleryIndex? Find(GalleryKey key) => _galleries.GetValueOrDefault(key);

    public IReadOnlyList<GalleryIndex> All => _galleries.Values.OrderBy(g => g.Key.Tenant, StringComparer.Ordinal).ThenBy(g => g.Key.Gallery, StringComparer.Ordinal).ToArray();

    public IReadOnlyList<GalleryIndex> OfTenant(string tenant) =>
        _galleries.Where(kv => kv.Key.Tenant == tenant).Select(kv => kv.Value).OrderBy(g => g.Key.Gallery, StringComparer.Ordinal).ToArray();
}
