namespace SwinFace.Tests.Recognition;

/// <summary>A test of <see cref="GalleryContractTests"/>: for the in-memory gallery, a plain fact that always runs.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GalleryFactAttribute : FactAttribute
{
}
