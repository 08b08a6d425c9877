namespace FaceMesh.ModelPacks;

/// <summary>A model file is missing or is not the file the manifest names (SHA-256 differs).</summary>
public class ModelFileException(string message) : Exception(message);
