namespace SwinFace.Analysis;

/// <summary>The 40 CelebA face attributes, in the column order of CelebA's <c>list_attr_celeba.txt</c>.</summary>
/// <remarks>
/// <see cref="FaceAttributeNames.CelebAName(FaceAttribute)"/> gives CelebA's own spelling
/// (<c>5_o_Clock_Shadow</c>, <c>Male</c>, ...). <see cref="Male"/> comes from the model's gender head.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "'Attribute' is the domain term (CelebA attributes); this is an enum, not a .NET attribute.")]
public enum FaceAttribute
{
    /// <summary>CelebA <c>5_o_Clock_Shadow</c>.</summary>
    FiveOClockShadow,

    /// <summary>CelebA <c>Arched_Eyebrows</c>.</summary>
    ArchedEyebrows,

    /// <summary>CelebA <c>Attractive</c>.</summary>
    Attractive,

    /// <summary>CelebA <c>Bags_Under_Eyes</c>.</summary>
    BagsUnderEyes,

    /// <summary>CelebA <c>Bald</c>.</summary>
    Bald,

    /// <summary>CelebA <c>Bangs</c>.</summary>
    Bangs,

    /// <summary>CelebA <c>Big_Lips</c>.</summary>
    BigLips,

    /// <summary>CelebA <c>Big_Nose</c>.</summary>
    BigNose,

    /// <summary>CelebA <c>Black_Hair</c>.</summary>
    BlackHair,

    /// <summary>CelebA <c>Blond_Hair</c>.</summary>
    BlondHair,

    /// <summary>CelebA <c>Blurry</c>.</summary>
    Blurry,

    /// <summary>CelebA <c>Brown_Hair</c>.</summary>
    BrownHair,

    /// <summary>CelebA <c>Bushy_Eyebrows</c>.</summary>
    BushyEyebrows,

    /// <summary>CelebA <c>Chubby</c>.</summary>
    Chubby,

    /// <summary>CelebA <c>Double_Chin</c>.</summary>
    DoubleChin,

    /// <summary>CelebA <c>Eyeglasses</c>.</summary>
    Eyeglasses,

    /// <summary>CelebA <c>Goatee</c>.</summary>
    Goatee,

    /// <summary>CelebA <c>Gray_Hair</c>.</summary>
    GrayHair,

    /// <summary>CelebA <c>Heavy_Makeup</c>.</summary>
    HeavyMakeup,

    /// <summary>CelebA <c>High_Cheekbones</c>.</summary>
    HighCheekbones,

    /// <summary>CelebA <c>Male</c>: the model's gender head.</summary>
    Male,

    /// <summary>CelebA <c>Mouth_Slightly_Open</c>.</summary>
    MouthSlightlyOpen,

    /// <summary>CelebA <c>Mustache</c>.</summary>
    Mustache,

    /// <summary>CelebA <c>Narrow_Eyes</c>.</summary>
    NarrowEyes,

    /// <summary>CelebA <c>No_Beard</c>.</summary>
    NoBeard,

    /// <summary>CelebA <c>Oval_Face</c>.</summary>
    OvalFace,

    /// <summary>CelebA <c>Pale_Skin</c>.</summary>
    PaleSkin,

    /// <summary>CelebA <c>Pointy_Nose</c>.</summary>
    PointyNose,

    /// <summary>CelebA <c>Receding_Hairline</c>.</summary>
    RecedingHairline,

    /// <summary>CelebA <c>Rosy_Cheeks</c>.</summary>
    RosyCheeks,

    /// <summary>CelebA <c>Sideburns</c>.</summary>
    Sideburns,

    /// <summary>CelebA <c>Smiling</c>.</summary>
    Smiling,

    /// <summary>CelebA <c>Straight_Hair</c>.</summary>
    StraightHair,

    /// <summary>CelebA <c>Wavy_Hair</c>.</summary>
    WavyHair,

    /// <summary>CelebA <c>Wearing_Earrings</c>.</summary>
    WearingEarrings,

    /// <summary>CelebA <c>Wearing_Hat</c>.</summary>
    WearingHat,

    /// <summary>CelebA <c>Wearing_Lipstick</c>.</summary>
    WearingLipstick,

    /// <summary>CelebA <c>Wearing_Necklace</c>.</summary>
    WearingNecklace,

    /// <summary>CelebA <c>Wearing_Necktie</c>.</summary>
    WearingNecktie,

    /// <summary>CelebA <c>Young</c>.</summary>
    Young,
}

/// <summary>CelebA's spelling of the <see cref="FaceAttribute"/> values.</summary>
public static class FaceAttributeNames
{
    /// <summary>The number of attributes: 40.</summary>
    public const int Count = 40;

    private static readonly string[] Names =
    [
        "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
        "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
        "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
        "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
        "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
        "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
        "Wearing_Necktie", "Young",
    ];

    /// <summary>CelebA's name of an attribute, such as <c>5_o_Clock_Shadow</c> or <c>Male</c>.</summary>
    /// <param name="attribute">The attribute.</param>
    /// <returns>The name as written in CelebA's attribute file.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attribute"/> is not a defined value.</exception>
    public static string CelebAName(this FaceAttribute attribute)
    {
        ArgumentOutOfRangeException.ThrowIfNegative((int)attribute, nameof(attribute));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((int)attribute, Count, nameof(attribute));
        return Names[(int)attribute];
    }

    /// <summary>Finds the attribute with a CelebA name, compared ordinally.</summary>
    /// <param name="celebAName">A name such as <c>Wearing_Hat</c>.</param>
    /// <param name="attribute">The attribute, when found.</param>
    /// <returns><see langword="true"/> when the name is one of the 40 CelebA attributes.</returns>
    public static bool TryParse(string? celebAName, out FaceAttribute attribute)
    {
        int index = Array.IndexOf(Names, celebAName);
        attribute = (FaceAttribute)Math.Max(index, 0);
        return index >= 0;
    }
}
