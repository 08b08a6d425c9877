namespace FaceMesh.Matching.Clustering;

/// <summary>
/// Union-find over faces that refuses a merge the corrections forbid: two groups pinned to different persons, or
/// a group holding one face of a cannot-link and the other holding the other. Faces pinned to the same person
/// start in one group.
/// </summary>
internal sealed class ConstrainedGroups
{
    private readonly int[] _parent;
    private readonly string?[] _pin;
    private readonly List<int>?[] _cannot;

    public ConstrainedGroups(int count, ClusterConstraints constraints)
    {
        _parent = Enumerable.Range(0, count).ToArray();
        _pin = new string?[count];
        _cannot = constraints.CannotLinksByFace(count);
        var firstOfPerson = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (face, person) in constraints.Pinned.OrderBy(p => p.Key))
        {
            _pin[face] = person;
            if (firstOfPerson.TryGetValue(person, out int first))
                Union(Find(first), Find(face));
            else
                firstOfPerson[person] = face;
        }
    }

    public int Find(int x)
    {
        while (_parent[x] != x)
            x = _parent[x] = _parent[_parent[x]];
        return x;
    }

    /// <summary>Merges the groups of <paramref name="a"/> and <paramref name="b"/> unless a correction forbids it.</summary>
    public bool TryMerge(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra == rb)
            return true;
        if (_pin[ra] is { } pa && _pin[rb] is { } pb && pa != pb)
            return false;
        if (Forbids(ra, rb) || Forbids(rb, ra))
            return false;
        Union(ra, rb);
        return true;
    }

    private bool Forbids(int root, int other) => _cannot[root] is { } list && list.Any(f => Find(f) == other);

    private void Union(int ra, int rb)
    {
        if (ra == rb)
            return;
        _parent[rb] = ra;
        _pin[ra] ??= _pin[rb];
        if (_cannot[rb] is { } moved)
            (_cannot[ra] ??= []).AddRange(moved);
    }
}
