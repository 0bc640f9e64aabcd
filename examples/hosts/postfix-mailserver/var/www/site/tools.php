<?php
// Sends like an abused form handler does.
for ($i = 0; $i < 3; $i++) {
    mail("victim$i@example.net", "Offer $i", "Cheap pills\n", "From: noreply@shop.example.com");
}
