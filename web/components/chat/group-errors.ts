import { ApiError } from "@/lib/client/api";

/** A group action's failure as one sentence for the dialog (the API's codes, see README "Groups"). */
export function describeGroupError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : "Something went wrong. Try again.";
  switch (error.code) {
    case "group_too_small":
      return "A group needs at least two other people.";
    case "group_too_large":
      return "That is more people than a group can have.";
    case "user_not_found":
      return "One of these people no longer has an account.";
    case "not_owner":
      return "Only the group’s owners can do that.";
    case "member_not_found":
      return "That person is no longer in the group.";
    case "conversation_not_found":
      return "You are no longer a member of this group.";
    case "validation_failed": {
      const details = Array.isArray(error.details) ? (error.details as { message?: string }[]) : [];
      return details[0]?.message ?? "Check the name and the people picked.";
    }
    default:
      return error.message || "Something went wrong. Try again.";
  }
}
