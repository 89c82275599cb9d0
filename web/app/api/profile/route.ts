import { updateProfileSchema } from "@/lib/validations/chat";
import { notFound } from "@/server/errors";
import { json, parseInput, readJson, route } from "@/server/http";
import { getProfile, updateProfile } from "@/server/services/chat";

export const GET = route(async ({ user, services }) => {
  const { id: userId } = await user();
  const profile = await getProfile(services, userId);
  if (!profile) throw notFound("profile_not_found", "Your profile does not exist.");
  return json(profile);
});

export const PATCH = route(async ({ request, user, services }) => {
  const { id: userId } = await user();
  const { displayName } = parseInput(updateProfileSchema, await readJson(request));
  return json(await updateProfile(services, userId, displayName));
});
