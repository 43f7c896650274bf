namespace SwinFace.Analysis;

/// <summary>The seven facial expressions, in the RAF-DB order that the model's expression head uses.</summary>
public enum Expression
{
    /// <summary>Surprise (model index 0).</summary>
    Surprise = 0,

    /// <summary>Fear (model index 1).</summary>
    Fear = 1,

    /// <summary>Disgust (model index 2).</summary>
    Disgust = 2,

    /// <summary>Happiness (model index 3).</summary>
    Happiness = 3,

    /// <summary>Sadness (model index 4).</summary>
    Sadness = 4,

    /// <summary>Anger (model index 5).</summary>
    Anger = 5,

    /// <summary>Neutral (model index 6).</summary>
    Neutral = 6,
}
