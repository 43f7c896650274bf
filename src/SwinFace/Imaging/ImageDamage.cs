namespace SwinFace.Imaging;

/// <summary>
/// Damage found in a photo that could still be decoded: a file cut short, or data the decoder had to skip.
/// The decoder fills in what is missing, so the pixels are not all the photo's.
/// </summary>
/// <param name="Message">What is wrong, for people: the check that failed, and the decoder's own words where it gave any.</param>
/// <param name="DecodedRows">
/// How many rows, counted from the top of the image as stored in the file (before EXIF orientation), hold
/// decoded image data, at least in part. The rows below were filled in with one colour. Equals
/// <paramref name="Rows"/> when the damage is not a missing end: a progressive JPEG cut short still covers
/// every row, at lower quality, and a warning about skipped bytes leaves the rest in place.
/// </param>
/// <param name="Rows">The image's height as stored in the file.</param>
public sealed record ImageDamage(string Message, int DecodedRows, int Rows);
