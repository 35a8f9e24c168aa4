import Badge from "@cloudscape-design/components/badge";
import SpaceBetween from "@cloudscape-design/components/space-between";

export function TagList({ tags }: { tags: { Key?: string; Value?: string }[] | undefined }) {
  if (!tags?.length) return <>-</>;
  return (
    <SpaceBetween direction="horizontal" size="xxs">
      {tags.map((t) => (
        <Badge key={t.Key}>{`${t.Key}=${t.Value ?? ""}`}</Badge>
      ))}
    </SpaceBetween>
  );
}
