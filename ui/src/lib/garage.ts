// The garage cards come ready-made from the core (views::garage_cards).
export type { GarageCard } from "./bindings/GarageCard";
